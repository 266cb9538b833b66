import { Body, Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { AccountsService } from './accounts.service';
import { AccountCreatedDto, CreateAccountDto } from './dto/accounts.dto';

@ApiTags('accounts')
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @ApiCreatedResponse({ type: AccountCreatedDto, description: '409 email_taken, 400 weak_password, 403 signup_closed' })
  create(@Body() body: CreateAccountDto): Promise<AccountCreatedDto> {
    return this.accounts.signUp(body.email, body.password);
  }
}

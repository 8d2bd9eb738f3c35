import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { type AppConfig, notificationsFromConfig, promotionProps } from './config';
import { BlueGreenPromotion } from './promotion';

export interface BlueGreenStackProps extends StackProps {
  readonly config: AppConfig;
}

export class BlueGreenStack extends Stack {
  public readonly promotion: BlueGreenPromotion;

  constructor(scope: Construct, id: string, props: BlueGreenStackProps) {
    super(scope, id, props);
    this.promotion = new BlueGreenPromotion(this, 'Promotion', { ...promotionProps(props.config), notifications: notificationsFromConfig(this, props.config) });
    new CfnOutput(this, 'StateMachineArn', { value: this.promotion.stateMachine.stateMachineArn });
    new CfnOutput(this, 'HistoryTableName', { value: this.promotion.table.tableName });
  }
}
